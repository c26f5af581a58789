/**
 * Strongly connected components of a directed graph of `size` nodes
 * (Tarjan's algorithm, iterative: linear in nodes and edges, no recursion
 * depth limit). Returns each node's component number; two nodes share one
 * exactly when each can reach the other.
 */
export function stronglyConnected(
  size: number,
  edges: ReadonlyArray<{ from: number; to: number }>,
): number[] {
  const next: number[][] = Array.from({ length: size }, () => []);
  for (const e of edges) next[e.from]!.push(e.to);
  const order = new Array<number>(size).fill(-1);
  const low = new Array<number>(size).fill(0);
  const component = new Array<number>(size).fill(-1);
  const stack: number[] = [];
  let counter = 0;
  let components = 0;
  for (let root = 0; root < size; root++) {
    if (order[root] !== -1) continue;
    const frames: Array<[node: number, edge: number]> = [[root, 0]];
    order[root] = low[root] = counter++;
    stack.push(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const [node, edge] = frame;
      const targets = next[node]!;
      if (edge < targets.length) {
        frame[1]++;
        const to = targets[edge]!;
        if (order[to] === -1) {
          order[to] = low[to] = counter++;
          stack.push(to);
          frames.push([to, 0]);
        } else if (component[to] === -1) {
          low[node] = Math.min(low[node]!, order[to]!);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[node]!);
      if (low[node] !== order[node]) continue;
      let member: number;
      do {
        member = stack.pop()!;
        component[member] = components;
      } while (member !== node);
      components++;
    }
  }
  return component;
}
