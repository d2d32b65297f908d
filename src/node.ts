// Kiln for Node: the platform-neutral API plus openDevice() through Dawn.
export * from './index';
export { openDevice, parseAdapterChoice, type AdapterChoice, type OpenDeviceOptions, type SoftwareAdapter } from './device/node';
export { saveCheckpointFile, loadCheckpointFile } from './cli/checkpoint-files';
