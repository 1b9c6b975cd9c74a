/**
 * Splits text into overlapping chunks for embeddings: about `size` characters each, cut at a paragraph, sentence or
 * word boundary when one is near, with `overlap` characters repeated so a sentence cut in two is whole in one chunk.
 */
export interface ChunkOptions {
  size: number;
  overlap: number;
  maxChunks: number;
}

export const DEFAULT_CHUNKING: ChunkOptions = { size: 1000, overlap: 150, maxChunks: 500 };

export function chunkText(text: string, options: ChunkOptions = DEFAULT_CHUNKING): string[] {
  const clean = text.replaceAll("\0", "").replace(/[ \t]+/g, " ").replace(/\n{3,}/g, "\n\n").trim();
  const chunks: string[] = [];
  let start = 0;
  while (start < clean.length && chunks.length < options.maxChunks) {
    let end = Math.min(start + options.size, clean.length);
    if (end < clean.length) end = boundaryBefore(clean, start, end);
    const piece = clean.slice(start, end).trim();
    if (piece) chunks.push(piece);
    if (end >= clean.length) break;
    start = Math.max(end - options.overlap, start + 1);
    // Start the next chunk at a word, not in the middle of one.
    const space = clean.indexOf(" ", start);
    if (space !== -1 && space < end) start = space + 1;
  }
  return chunks;
}

// The last paragraph, sentence or word end in the second half of the window; the window's end if none.
function boundaryBefore(text: string, start: number, end: number): number {
  const window = text.slice(start, end);
  const half = window.length / 2;
  for (const mark of ["\n\n", ". ", "\n", " "]) {
    const at = window.lastIndexOf(mark);
    if (at >= half) return start + at + mark.length;
  }
  return end;
}
