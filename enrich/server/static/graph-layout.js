// Where the graph's nodes go: a hand-written force layout in a fixed frame.
// Kept apart from the drawing so that a maintained layout library can replace it.

import { clamp01 } from "./format.js";

/** A new node's first position (deterministic): the i-th point of a golden-angle spiral
 * around the frame's centre, or of a ring around `around` (the node being expanded). */
export function startAt(i, around, frame) {
  const angle = i * 2.39996;
  const radius = around ? 60 : 30 + 18 * Math.sqrt(i);
  const cx = around ? around.x : frame.width / 2;
  const cy = around ? around.y : frame.height / 2;
  return { x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) };
}

/** Fruchterman–Reingold: repulsion k²/d, springs d²/k (stronger for higher npmi),
 * a pull to the centre, and a cooling step limit; synchronous, O(n²) per round.
 * Moves the nodes (x, y) of `g` ({nodes: Map, edges: Map}) in place. */
export function layout(g, frame, rounds, heat) {
  const W = frame.width;
  const H = frame.height;
  const nodes = [...g.nodes.values()];
  const n = nodes.length;
  if (!n) return;
  const k = Math.min(170, Math.sqrt((W * H) / n) * 0.62);
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const springs = [...g.edges.values()].map((e) => [index.get(e.source), index.get(e.target), clamp01(e.npmi)]);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const margin = 30;
  for (let round = 0; round < rounds; round++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      const a = nodes[i];
      for (let j = i + 1; j < n; j++) {
        const b = nodes[j];
        let x = a.x - b.x;
        let y = a.y - b.y;
        let d2 = x * x + y * y;
        if (d2 < 0.01) {
          x = 0.1 * ((i % 7) - 3) + 0.05;
          y = 0.1 * ((j % 5) - 2) + 0.05;
          d2 = x * x + y * y;
        }
        const f = (k * k) / d2;
        dx[i] += x * f; dy[i] += y * f;
        dx[j] -= x * f; dy[j] -= y * f;
      }
    }
    for (const [i, j, w] of springs) {
      const x = nodes[i].x - nodes[j].x;
      const y = nodes[i].y - nodes[j].y;
      const f = (Math.sqrt(x * x + y * y) / k) * (0.15 + 0.6 * w);
      dx[i] -= x * f; dy[i] -= y * f;
      dx[j] += x * f; dy[j] += y * f;
    }
    const limit = heat * (W / 12) * (1 - round / rounds) + 0.5;
    for (let i = 0; i < n; i++) {
      const node = nodes[i];
      dx[i] += (W / 2 - 40 - node.x) * 0.04 * Math.sqrt(n);
      dy[i] += (H / 2 - node.y) * 0.07 * Math.sqrt(n);
      const d = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
      if (d > 0) {
        const step = Math.min(d, limit) / d;
        node.x = Math.min(W - margin - 80, Math.max(margin, node.x + dx[i] * step));
        node.y = Math.min(H - margin, Math.max(margin, node.y + dy[i] * step));
      }
    }
  }
}
