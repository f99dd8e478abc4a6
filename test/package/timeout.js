// npm installs and tsc runs take seconds each (jest's testTimeout is global: see jest.config.js).
jest.setTimeout(180000);
