// A tiny live line chart on <canvas>: request rate (left axis) and p95 latency (right axis).
// Colours and font come from CSS custom properties on the canvas, so the stylesheet owns the theme.
const niceMax = (v) => {
  if (!(v > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * step).find((m) => m >= v);
};
const fmt = (v) => (v >= 100 ? Math.round(v) : Number(v.toFixed(v >= 10 ? 1 : 2))).toString();

export class LiveChart {
  constructor(canvas, { windowMs = 5 * 60_000, maxPoints = 1000 } = {}) {
    Object.assign(this, { canvas, ctx: canvas.getContext('2d'), windowMs, maxPoints, points: [], frame: 0 });
    this.labels = { start: '-5 min', end: 'now' };
    if ('ResizeObserver' in window) new ResizeObserver(() => this.schedule()).observe(canvas);
  }

  push(rps, p95, t = Date.now()) {
    const num = (v) => (Number.isFinite(v) && v >= 0 ? v : null);
    if (num(rps) === null && num(p95) === null) return;
    this.points.push({ t, rps: num(rps), p95: num(p95) });
    this.canvas.dataset.points = String(this.points.length);
    this.schedule();
  }

  clear() {
    this.points = [];
    this.canvas.dataset.points = '0';
    this.schedule();
  }

  setLabels(labels) {
    Object.assign(this.labels, labels);
    this.schedule();
  }

  schedule() {
    if (!this.frame)
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.draw();
      });
  }

  draw() {
    const { canvas, ctx } = this;
    const w = canvas.clientWidth,
      h = canvas.clientHeight,
      dpr = window.devicePixelRatio || 1;
    if (!w || !h) return;
    if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
    if (canvas.height !== Math.round(h * dpr)) canvas.height = Math.round(h * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);

    const css = getComputedStyle(canvas),
      v = (name) => css.getPropertyValue(name).trim();
    const now = Date.now(),
      start = now - this.windowMs;
    while (this.points.length && (this.points[0].t < start || this.points.length > this.maxPoints)) this.points.shift();
    canvas.dataset.points = String(this.points.length);
    const pad = { l: 40, r: 44, t: 10, b: 20 },
      pw = w - pad.l - pad.r,
      ph = h - pad.t - pad.b;
    const max = (k) => niceMax(Math.max(0, ...this.points.map((p) => p[k] ?? 0)));
    const axes = { rps: max('rps'), p95: max('p95') };

    ctx.font = `12px ${css.fontFamily}`;
    ctx.lineWidth = 1;
    ctx.strokeStyle = v('--chart-grid');
    ctx.fillStyle = v('--chart-text');
    for (let i = 0; i <= 4; i++) {
      const y = pad.t + (ph * i) / 4;
      ctx.beginPath();
      ctx.moveTo(pad.l, y + 0.5);
      ctx.lineTo(pad.l + pw, y + 0.5);
      ctx.stroke();
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'right';
      ctx.fillText(fmt((axes.rps * (4 - i)) / 4), pad.l - 6, y);
      ctx.textAlign = 'left';
      ctx.fillText(fmt((axes.p95 * (4 - i)) / 4), pad.l + pw + 6, y);
    }
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.fillText(this.labels.start, pad.l, h - 4);
    ctx.textAlign = 'right';
    ctx.fillText(this.labels.end, pad.l + pw, h - 4);

    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    for (const [k, color] of [
      ['rps', v('--chart-rps')],
      ['p95', v('--chart-p95')],
    ]) {
      ctx.strokeStyle = color;
      ctx.setLineDash(k === 'p95' ? [6, 4] : []);
      ctx.beginPath();
      let pen = false;
      for (const p of this.points) {
        if (p[k] === null) {
          pen = false;
          continue;
        }
        const x = pad.l + ((p.t - start) / this.windowMs) * pw,
          y = pad.t + ph - (p[k] / axes[k]) * ph;
        if (pen) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        pen = true;
      }
      ctx.stroke();
    }
  }
}
