// What several steps share: follow the selected sample's backward trace of the page's
// session (actions.inspectSample when it is missing or stale), and the highlight of a path.

/**
 * Call `draw(trace, session)` with the sample's backward trace now and whenever it changes;
 * ask for it when the session changed and no current one exists. Returns the unsubscribe.
 * @param {any} ctx
 * @param {(trace: any, session: any) => void} draw
 */
export function followTrace(ctx, draw) {
  const { store, actions } = ctx;
  let askedFor = null;
  function update() {
    const s = store.state.session;
    const b = store.state.backward;
    if (!s || store.state.playing) return;
    if (b && b.step === s.step && b.sample?.index === store.state.sample.index) {
      draw(b, s);
      return;
    }
    if (askedFor === s) return;
    askedFor = s;
    actions.inspectSample();
  }
  update();
  return store.on(["backward", "session"], update);
}

/** The network view's edge keys of the path from W^l[row][column] through `neurons` (i_l … i_L). */
export function pathEdges(layer, column, neurons) {
  const edges = [`${layer}:${neurons[0]}:${column}`];
  for (let i = 1; i < neurons.length; i++) edges.push(`${layer + i}:${neurons[i]}:${neurons[i - 1]}`);
  return edges;
}
