// One Kiln device shared by every test file in the mocha process (opening one costs ~0.2 s and Dawn
// wants its instance alive for the whole process anyway). KILN_ADAPTER picks the adapter.
import { openDevice, type Device } from '../../src/node';

let shared: Promise<Device> | null = null;

export function testDevice(): Promise<Device> {
  shared ??= openDevice({ adapter: process.env['KILN_ADAPTER'] ?? 'auto' });
  return shared;
}
