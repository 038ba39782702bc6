// Installer-facing text: zh-CN first, English second. Terminal column arithmetic for CJK text.
export type Lang = 'zh' | 'en' | 'both'
export interface Text { readonly zh: string; readonly en: string }

export const LANGS: readonly Lang[] = ['zh', 'en', 'both']

/** zh for a Chinese locale, en for any other named locale, both when the locale says nothing. */
export function langFromEnv(env: NodeJS.ProcessEnv): Lang {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || ''
  if (/^zh/i.test(locale)) return 'zh'
  if (locale === '' || /^(C|POSIX)([.@]|$)/.test(locale)) return 'both'
  return 'en'
}

/** One line in the chosen language; both = "中文 English". */
export const tr = (lang: Lang, t: Text): string => (lang === 'zh' ? t.zh : lang === 'en' ? t.en : `${t.zh} ${t.en}`)

/** Instructions and errors: one line per language shown. */
export const lines = (lang: Lang, t: Text): string[] => (lang === 'both' ? [t.zh, t.en] : [tr(lang, t)])

/** Always both languages, one per line: for errors that must be understood whatever LANG says. */
export const bilingual = (t: Text): string => `${t.zh}\n${t.en}`

// East Asian wide and fullwidth ranges (Unicode UAX #11) that occur in our text: CJK, kana,
// Hangul, fullwidth forms and CJK punctuation.
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/

/** Columns a string takes in a terminal. */
export function width(s: string): number {
  let w = 0
  for (const ch of s) w += WIDE.test(ch) ? 2 : 1
  return w
}

export const padEnd = (s: string, cols: number): string => s + ' '.repeat(Math.max(0, cols - width(s)))

/** Cut to at most `cols` terminal columns, marking the cut with "…". */
export function truncate(s: string, cols: number): string {
  if (width(s) <= cols) return s
  let out = ''
  let w = 0
  for (const ch of s) {
    const cw = WIDE.test(ch) ? 2 : 1
    if (w + cw > cols - 1) break
    out += ch
    w += cw
  }
  return `${out}…`
}
