// The override constants every conv2d kernel shares (src/ops/conv2d-geometry.ts sets them): input
// [B, C, H, W], weight [CO, C, KH, KW], stride, padding and dilation per axis, output [B, CO, OH, OW],
// and the workgroup size. Prepended to shaders/conv2d*.wgsl.
override B: u32;
override C: u32;
override H: u32;
override W: u32;
override CO: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
override PH: u32;
override PW: u32;
override DH: u32;
override DW: u32;
override OH: u32;
override OW: u32;
override WG: u32 = 64u;
