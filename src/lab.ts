// tcp-keepalive/lab: the network lab's entry point (see tools/lab.ts). A test
// and demo tool that needs root; it imports nothing from the library.
export * from './tools/lab';
