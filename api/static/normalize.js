// The worker's query normalisation (streams/web.py: normalize_query), so the page reports
// searches in the form they are counted in: NFKC, case-folded, non-printable characters
// dropped, runs of spaces collapsed, trimmed. tests/api/test_page_modules.py
// (test_the_pages_query_normalisation_is_the_workers) checks the two agree on tricky input.

// Full case folding beyond toLowerCase (Unicode CaseFolding.txt status F, the letters a
// query can plausibly hold; ligatures are already split by NFKC).
const FOLD = { "ß": "ss", "ẞ": "ss", "ς": "σ", "ŉ": "ʼn", "ǰ": "ǰ", "ΐ": "ΐ", "ΰ": "ΰ",
  "ϐ": "β", "ϑ": "θ", "ϕ": "φ", "ϖ": "π", "ϰ": "κ", "ϱ": "ρ", "ϵ": "ε", "ẛ": "ṡ",
  "ſ": "s", "ι": "ι", "ͅ": "ι" };
// Python's str.isprintable(): not Cc, Cf, Cs, Co, Cn, Zl, Zp, nor a Zs other than " ".
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu;

export function normalizeQuery(text) {
  let folded = text.normalize("NFKC").toLowerCase();
  folded = Array.from(folded, (c) => FOLD[c] ?? c).join("");
  return folded.replace(UNPRINTABLE, "").replace(/ +/g, " ").trim();
}
