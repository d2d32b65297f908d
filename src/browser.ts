// Kiln for browsers: the platform-neutral API plus openDevice() through navigator.gpu.
export * from './index';
export { openDevice, type BrowserDeviceOptions } from './device/browser';
