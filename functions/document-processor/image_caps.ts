/**
 * Images are decoded by Vision, not by the worker, but a small file can declare a huge canvas (a 1 MB PNG of
 * 50,000 x 50,000 blank pixels is 10 GB decoded): its pixel count, read from its header with the image-size
 * library, is capped before it is sent. A header that cannot be read is left to Vision, which refuses a corrupt
 * file for good (the dead letter).
 */
import { imageSize } from "npm:image-size@2.1.0";
import { type Env, envInt } from "../_shared/env.ts";
import { DecompressionCapExceeded } from "./inflate.ts";

export interface ImageCaps {
  /** Most pixels one image (all frames or pages of it together) may declare. */
  maxPixels: number;
}

export function readImageCaps(env: Env): ImageCaps {
  return { maxPixels: envInt(env, "OCR_MAX_IMAGE_PIXELS", 50_000_000, 1_000_000, 500_000_000) };
}

/** The pixels `bytes` declares (every frame of a multi-image file), or undefined when its header is unreadable. */
export function declaredPixels(bytes: Uint8Array): number | undefined {
  try {
    const size = imageSize(bytes);
    const frames = size.images?.length ? size.images : [size];
    return frames.reduce((sum, frame) => sum + (frame.width ?? 0) * (frame.height ?? 0), 0);
  } catch {
    return undefined;
  }
}

export function checkImagePixels(bytes: Uint8Array, caps: ImageCaps): void {
  const pixels = declaredPixels(bytes);
  if (pixels !== undefined && pixels > caps.maxPixels) {
    throw new DecompressionCapExceeded(
      `the image is refused as a decompression bomb: it declares ${pixels} pixels, over the cap of ${caps.maxPixels}`,
    );
  }
}
