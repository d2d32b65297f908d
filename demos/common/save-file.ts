// Offers bytes to the user as a downloaded file (the browser's own save flow; nothing is uploaded).

export function downloadBytes(bytes: Uint8Array, fileName: string, type = 'application/octet-stream'): void {
  // A copy into a fresh ArrayBuffer: Blob wants ArrayBuffer-backed parts, never a SharedArrayBuffer.
  const url = URL.createObjectURL(new Blob([bytes.slice()], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, not at once: some browsers start reading the blob only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
