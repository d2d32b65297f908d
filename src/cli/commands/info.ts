import type { Device } from '../../device/device';

/** `kiln info`: the adapter, backend, features and the limits Kiln uses. */
export function describeDevice(device: Device): string {
  const a = device.adapter;
  const lines = [
    `adapter:      ${a.description || a.device || '(no description)'}`,
    `vendor:       ${a.vendor || '-'}    architecture: ${a.architecture || '-'}    device: ${a.device || '-'}`,
    `backend:      ${a.backend}${a.isSoftware ? ' (software, runs on the CPU)' : ''}${a.compatibility ? ', compatibility mode' : ''}`,
    `features:     ${a.features.join(', ') || 'none'}`,
    'limits Kiln uses:',
    ...Object.entries(a.limits).map(([k, v]) => `  ${k.padEnd(36)} ${v}`),
  ];
  return lines.join('\n');
}
