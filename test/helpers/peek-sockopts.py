#!/usr/bin/env python3
"""Reads the keepalive options of a socket held by another process.

Usage: peek-sockopts.py PID FD
Duplicates descriptor FD of process PID into this process with pidfd_getfd(2)
(Linux 5.6+, needs ptrace rights over PID: root), then reads SO_KEEPALIVE,
TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and TCP_USER_TIMEOUT with
getsockopt. Prints them as one JSON object. Independent of tcp-keepalive: the
tests use it to check a preloaded program from outside.
"""
import ctypes
import json
import os
import socket
import sys

SYS_PIDFD_GETFD = 438  # the same number on every architecture (unified syscall table)
TCP_USER_TIMEOUT = getattr(socket, "TCP_USER_TIMEOUT", 18)


def main() -> None:
    pid, target_fd = int(sys.argv[1]), int(sys.argv[2])
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, target_fd, 0)
    if fd < 0:
        err = ctypes.get_errno()
        sys.exit(f"pidfd_getfd({pid}, {target_fd}): {os.strerror(err)}")
    sock = socket.socket(fileno=fd)
    try:
        get = lambda level, option: sock.getsockopt(level, option)
        print(json.dumps({
            "enabled": bool(get(socket.SOL_SOCKET, socket.SO_KEEPALIVE)),
            "idle": get(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) * 1000,
            "interval": get(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) * 1000,
            "count": get(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            "userTimeout": get(socket.IPPROTO_TCP, TCP_USER_TIMEOUT),
        }))
    finally:
        sock.detach()
        os.close(fd)
        os.close(pidfd)


if __name__ == "__main__":
    main()
