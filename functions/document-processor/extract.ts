/**
 * A document's text, by its type: OCR for images (images:annotate) and PDFs (files:annotate), the XML of a Word
 * .docx (a zip; read with fflate), UTF-8 for plain text. Legacy Word .doc (a binary format Vision does not read)
 * is refused for good: the owner converts it to .docx or PDF.
 */
import { unzipSync } from "npm:fflate@0.8.2";
import { ocrImage, ocrPdf, type VisionConfig } from "./vision.ts";

export class UnprocessableDocument extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnprocessableDocument";
  }
}

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/bmp"]);
const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

export interface Extracted {
  text: string;
  method: "ocr_image" | "ocr_pdf" | "docx" | "plain_text";
  pages?: number;
}

export async function extractText(vision: VisionConfig, mimeType: string, bytes: Uint8Array): Promise<Extracted> {
  if (IMAGE_TYPES.has(mimeType)) return { text: await ocrImage(vision, bytes), method: "ocr_image" };
  if (mimeType === "application/pdf") {
    const { text, pages } = await ocrPdf(vision, bytes);
    return { text, pages, method: "ocr_pdf" };
  }
  if (mimeType === DOCX) return { text: docxText(bytes), method: "docx" };
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

function docxText(bytes: Uint8Array): string {
  let xml: Uint8Array | undefined;
  try {
    xml = unzipSync(bytes, { filter: (file) => file.name === "word/document.xml" })["word/document.xml"];
  } catch {
    throw new UnprocessableDocument("the .docx file is not a valid Word document (it is not a readable zip)");
  }
  if (!xml) throw new UnprocessableDocument("the .docx file has no word/document.xml; it is not a Word document");
  const text = new TextDecoder().decode(xml)
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
