/**
 * The wizard's step bar as text (pure): "1 Audit > 2 Topology > [3 Plan] > 4 Preview > ...", the
 * current step in brackets so it reads without colour. On a narrow terminal the other steps keep
 * their numbers only ("1 > 2 > [3 Plan] > 4 > 5 > 6"), then the arrows go; it never wraps.
 */

export interface StepSegment {
  text: string;
  current: boolean;
}

/** The step bar for `titles` with `index` current, the widest form that fits `width` columns. */
export function stepBar(titles: readonly string[], index: number, width: number): StepSegment[] {
  const label = (title: string, position: number) => `${position + 1} ${title}`;
  const forms: Array<{ other: (title: string, position: number) => string; separator: string }> = [
    { other: label, separator: ' > ' },
    { other: label, separator: '>' },
    { other: (_title, position) => String(position + 1), separator: ' > ' },
    { other: (_title, position) => String(position + 1), separator: ' ' },
  ];
  const build = (form: (typeof forms)[number]): StepSegment[] =>
    titles.flatMap((title, position) => [
      ...(position > 0 ? [{ text: form.separator, current: false }] : []),
      position === index ? { text: `[${label(title, position)}]`, current: true } : { text: form.other(title, position), current: false },
    ]);
  const widthOf = (segments: StepSegment[]) => segments.reduce((sum, segment) => sum + segment.text.length, 0);
  for (const form of forms) {
    const segments = build(form);
    if (widthOf(segments) <= width) return segments;
  }
  // Narrower than any form: the current step alone, with where it is in the walk.
  const current = `[${label(titles[index] ?? '?', index)}] ${index + 1}/${titles.length}`;
  return [{ text: current.slice(0, Math.max(1, width)), current: true }];
}
