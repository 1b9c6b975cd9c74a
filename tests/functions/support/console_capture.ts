/** Captures everything written through console.* while a block runs: for tests that scan logs for secrets. */

export interface CapturedConsole {
  lines: string[];
  /** The lines parsed as JSON (the functions log one JSON object per line); other lines are skipped. */
  records(): Record<string, unknown>[];
  text(): string;
}

const METHODS = ["log", "info", "warn", "error", "debug"] as const;

export async function captureConsole<T>(work: () => Promise<T>): Promise<{ result: T; output: CapturedConsole }> {
  const lines: string[] = [];
  const originals = METHODS.map((method) => [method, console[method]] as const);
  for (const method of METHODS) {
    console[method] = (...args: unknown[]) => {
      lines.push(args.map((arg) => typeof arg === "string" ? arg : Deno.inspect(arg)).join(" "));
    };
  }
  try {
    const result = await work();
    return { result, output: captured(lines) };
  } finally {
    for (const [method, original] of originals) console[method] = original;
  }
}

function captured(lines: string[]): CapturedConsole {
  return {
    lines,
    text: () => lines.join("\n"),
    records: () =>
      lines.flatMap((line) => {
        try {
          const value = JSON.parse(line);
          return value && typeof value === "object" ? [value] : [];
        } catch {
          return [];
        }
      }),
  };
}
