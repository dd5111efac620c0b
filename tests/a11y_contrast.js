// Text contrast of every visible text on the page, from computed styles (WCAG 2.1 relative luminance).
// Colours are resolved through a canvas, so any CSS colour syntax works; backgrounds are
// composited from the root down. Disabled controls are exempt (WCAG 1.4.3). Returns the
// lowest ratio and the worst offenders.
() => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = (top, bottom) => top.slice(0, 3).map((c, i) => c * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = [255, 255, 255, 1];
    for (const e of chain) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) bg = over(c, bg);
    }
    return bg;
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const results = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    seen.add(el);
    if (el.closest('script, style, [aria-hidden=true], .sr-only, button:disabled, [disabled]')) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (el.getClientRects().length === 0 || box.width === 0 || style.visibility !== 'visible' || parseFloat(style.opacity) === 0) continue;
    const bg = background(el);
    const fg = over(rgba(style.color), bg);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    results.push({ ratio: Math.round(ratio * 100) / 100, text: node.textContent.trim().slice(0, 40), tag: el.tagName, color: style.color, cls: String(el.className).slice(0, 60) });
  }
  results.sort((a, b) => a.ratio - b.ratio);
  return { min: results.length ? results[0].ratio : null, count: results.length, worst: results.slice(0, 8) };
}
