/**
 * A document's text, by its type: OCR for images (images:annotate) and PDFs (files:annotate), the XML of a Word
 * .docx (a zip, inflated as a stream under caps: inflate.ts), UTF-8 for plain text. Legacy Word .doc (a binary
 * format Vision does not read) is refused for good: the owner converts it to .docx or PDF.
 *
 * What decompresses, and where: a .docx is inflated here, capped. An image is decoded by Vision, not here: its
 * pixel count (from its header) is capped before it is sent. A PDF's streams are never inflated here (Vision
 * reads the file as uploaded; OCR_MAX_PDF_PAGES caps the pages asked for). Other archives (xlsx, pptx, zip) are
 * refused before a byte of them is inflated.
 */
import { UnprocessableDocument } from "./errors.ts";
import { checkImagePixels, type ImageCaps } from "./image_caps.ts";
import { type InflateCaps, inflateZipEntry } from "./inflate.ts";
import { ocrImage, ocrPdf, type VisionConfig } from "./vision.ts";

export { UnprocessableDocument };

export interface ExtractCaps {
  inflate: InflateCaps;
  image: ImageCaps;
}

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/bmp"]);
const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

export interface Extracted {
  text: string;
  method: "ocr_image" | "ocr_pdf" | "docx" | "plain_text";
  pages?: number;
}

export async function extractText(
  vision: VisionConfig,
  caps: ExtractCaps,
  mimeType: string,
  bytes: Uint8Array,
): Promise<Extracted> {
  if (IMAGE_TYPES.has(mimeType)) {
    checkImagePixels(bytes, caps.image);
    return { text: await ocrImage(vision, bytes), method: "ocr_image" };
  }
  if (mimeType === "application/pdf") {
    const { text, pages } = await ocrPdf(vision, bytes);
    return { text, pages, method: "ocr_pdf" };
  }
  if (mimeType === DOCX) return { text: docxText(bytes, caps.inflate), method: "docx" };
  if (mimeType.startsWith("text/") || mimeType === "application/json") {
    return { text: new TextDecoder("utf-8", { fatal: false }).decode(bytes), method: "plain_text" };
  }
  if (mimeType === "application/msword") {
    throw new UnprocessableDocument(
      "Word 97-2003 (.doc) files cannot be read for text; save the document as .docx or PDF and upload it again",
    );
  }
  throw new UnprocessableDocument(`${mimeType} files cannot be read for text`);
}

function docxText(bytes: Uint8Array, caps: InflateCaps): string {
  const chunks = inflateZipEntry(bytes, "word/document.xml", caps);
  if (!chunks) throw new UnprocessableDocument("the .docx file has no word/document.xml; it is not a Word document");
  const decoder = new TextDecoder();
  const xml = chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode();
  const text = xml
    .replace(/<\/w:p>/g, "\n")
    .replace(/<w:tab\/>/g, "\t")
    .replace(/<w:br\/>/g, "\n")
    .replace(/<[^>]+>/g, "");
  return decodeEntities(text).replace(/\n{3,}/g, "\n\n").trim();
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return named[entity] ?? whole;
  });
}
