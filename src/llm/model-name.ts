/**
 * Canonical form of an Ollama model name, for comparing names the way Ollama does:
 * case-insensitive, and a name without a tag means `:latest` (`bge-m3` = `BGE-M3:latest`).
 */
export function normalizeModelName(name: string): string {
  const lower = name.trim().toLowerCase();
  const lastSegment = lower.slice(lower.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? lower : `${lower}:latest`;
}

export function sameModel(a: string, b: string): boolean {
  return normalizeModelName(a) === normalizeModelName(b);
}
