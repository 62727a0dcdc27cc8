/**
 * jsdom does no layout, so SVG text has no size and `getBBox` does not exist: this stands in for the browser's
 * measurement (the one thing no local part can do in a jsdom test), 7 px a character and 16 px a line, or a
 * rect's own size. DependencyGraph sizes its nodes with it and dagre lays out the rest for real.
 */
function fakeBBox(this: SVGGraphicsElement) {
  const texts =
    this.tagName === 'text'
      ? [this]
      : Array.from(this.querySelectorAll('text'));
  const rect = this.tagName === 'rect' ? this : this.querySelector('rect');
  const width = Math.max(
    Number(rect?.getAttribute('width') ?? 0),
    ...texts.map(t => (t.textContent ?? '').length * 7),
  );
  const height = Math.max(
    Number(rect?.getAttribute('height') ?? 0),
    texts.length * 16,
  );
  return { x: 0, y: 0, width, height } as DOMRect;
}

/** Gives SVG elements a measured size for the tests of this file (call at the top level of a test file). */
export function measureSvgText() {
  beforeAll(() => {
    (SVGElement.prototype as any).getBBox = fakeBBox;
  });
  afterAll(() => {
    delete (SVGElement.prototype as any).getBBox;
  });
}
