// A look at an addon file before it is handed to dlopen. dlopen reports most
// broken files as an error (garbage: "invalid ELF header"; empty: "file too
// short"), but a file cut short after its headers (an interrupted download or
// copy) is mapped as it says it is, and the process dies of SIGBUS when the
// loader touches the missing pages; an ELF for another architecture gets
// glibc's "cannot open shared object file: No such file or directory", which
// names nothing. Both are told here instead, from the headers alone
// (elf(5)). What this cannot see, a file damaged inside its own bounds, is
// left to dlopen.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/** e_machine and word size of the architectures Node runs on (elf.h: EM_*). */
const machines: Readonly<Record<string, { machine: number; bits: 32 | 64 }>> = {
  x64: { machine: 62, bits: 64 },
  arm64: { machine: 183, bits: 64 },
  ia32: { machine: 3, bits: 32 },
  arm: { machine: 40, bits: 32 },
  ppc64: { machine: 21, bits: 64 },
  s390x: { machine: 22, bits: 64 },
  riscv64: { machine: 243, bits: 64 },
  loong64: { machine: 258, bits: 64 },
  mips64el: { machine: 8, bits: 64 },
  mipsel: { machine: 8, bits: 32 },
};

/** The name of an e_machine number, for the message: the architecture Node calls it, where there is one. */
function machineName(machine: number, bits: number): string {
  const known = Object.entries(machines).find(([, entry]) => entry.machine === machine && entry.bits === bits);
  return known ? known[0] : `ELF machine ${machine}`;
}

/** Platforms whose addons are ELF shared objects. */
const elfPlatforms = new Set(['linux', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos']);

const PT_LOAD = 1;
const ET_DYN = 3;

/**
 * Why `file` cannot be this process's addon, read from its ELF headers, or
 * null where nothing is wrong with them (or the platform's addons are not
 * ELF). Never throws: a file that cannot be read is left to dlopen too.
 */
export function elfProblem(file: string): string | null {
  if (!elfPlatforms.has(process.platform)) return null;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  const size = bytes.length;
  if (size < 6) return `file too short (${size} bytes)`;
  if (bytes.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF file';
  const bits = bytes[4] === 2 ? 64 : bytes[4] === 1 ? 32 : 0;
  const little = bytes[5] === 1 ? true : bytes[5] === 2 ? false : undefined;
  if (bits === 0 || little === undefined) return 'not a valid ELF file (unknown class or byte order)';
  const headerSize = bits === 64 ? 64 : 52;
  if (size < headerSize) return `file too short (${size} bytes, an ELF header alone takes ${headerSize})`;

  const u16 = (offset: number): number => (little ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset));
  const u32 = (offset: number): number => (little ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  const word = (offset: number): number =>
    bits === 32 ? u32(offset) : Number(little ? bytes.readBigUInt64LE(offset) : bytes.readBigUInt64BE(offset));

  const machine = u16(18);
  const expected = machines[process.arch];
  if (expected !== undefined && (machine !== expected.machine || bits !== expected.bits)) {
    return `built for ${machineName(machine, bits)} (${bits}-bit), not for this process's ${process.arch}`;
  }
  if (little !== (endianness() === 'LE')) return `built for ${little ? 'little' : 'big'}-endian processors, not for this one`;
  const type = u16(16);
  if (type !== ET_DYN) return `not a shared library (ELF type ${type})`;

  // Program headers: every loaded segment must be in the file.
  const phoff = word(bits === 64 ? 32 : 28);
  const phentsize = u16(bits === 64 ? 54 : 42);
  const phnum = u16(bits === 64 ? 56 : 44);
  let needed = phoff + phentsize * phnum;
  if (needed <= size) {
    for (let i = 0; i < phnum; i++) {
      const entry = phoff + i * phentsize;
      if (u32(entry) !== PT_LOAD) continue;
      const offset = word(entry + (bits === 64 ? 8 : 4));
      const fileSize = word(entry + (bits === 64 ? 32 : 16));
      needed = Math.max(needed, offset + fileSize);
    }
  }
  // Section headers, where there are any.
  const shoff = word(bits === 64 ? 40 : 32);
  if (shoff !== 0) needed = Math.max(needed, shoff + u16(bits === 64 ? 58 : 46) * u16(bits === 64 ? 60 : 48));
  if (needed > size) return `truncated: ${size} bytes, where its headers describe ${needed}`;
  return null;
}
