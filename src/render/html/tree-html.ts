// The sharing tree as nested lists: the text of `layerlab tree`, with the stacks' colours.
import { treeAccess, type AnyTree } from '../../analyze/tree.js';
import { describeLayerFacts, describeTreeImage } from '../tree.js';
import { esc, figure } from './markup.js';

/** Nested `<ul>` of the tree; at most `budget` layer nodes, the rest counted in a closing item. */
export function treeHtml(anyTree: AnyTree, colour: ReadonlyMap<number, number>, budget: number): { html: string; drawn: number; nodes: number[] } {
  const tree = treeAccess(anyTree);
  let drawn = 0;
  const nodes: number[] = [];
  const line = (k: number): string => {
    drawn++;
    nodes.push(k);
    const n = tree.layer(k);
    const c = colour.get(k);
    const swatch = `<span class="sw ${c === undefined ? (n.users > 1 ? 'shared' : 'u') : `c${c}`}" aria-hidden="true"></span>`;
    return `<div class="layerline" data-n="${k}">${swatch}${esc(describeLayerFacts(n))}</div>`;
  };
  // A layer with one layer on it and no image ending is drawn with that layer in the same item,
  // so a long stack reads as a column (as the terminal tree does).
  const node = (first: number): string => {
    let k = first;
    let lines = line(k);
    while (tree.imagesAt(k).length === 0 && tree.childrenOf(k).length === 1) {
      k = tree.childrenOf(k)[0];
      lines += line(k);
    }
    const images = Array.from(tree.imagesAt(k))
      .map((i) => {
        const img = tree.image(i);
        const ctrs = img.containers.map((ct) => `<li class="ctr">container ${esc(ct.name ?? ct.id.slice(0, 12))} (${esc(ct.state)})</li>`).join('');
        return `<li class="img${img.listed ? '' : ' hidden-parent'}">${esc(describeTreeImage(img, tree))}${ctrs ? `<ul>${ctrs}</ul>` : ''}</li>`;
      })
      .join('');
    const kids: string[] = [];
    let skipped = 0;
    for (const c2 of Array.from(tree.childrenOf(k))) {
      if (drawn >= budget) skipped++;
      else kids.push(node(c2));
    }
    const more = skipped ? `<li class="more">${skipped} more branch${skipped === 1 ? '' : 'es'} not drawn (layerlab tree shows all)</li>` : '';
    const inner = images + kids.join('') + more;
    return `<li class="node">${lines}${inner ? `<ul>${inner}</ul>` : ''}</li>`;
  };
  const roots: string[] = [];
  let skippedRoots = 0;
  for (const r of Array.from(tree.roots)) {
    if (drawn >= budget) skippedRoots++;
    else roots.push(node(r));
  }
  const more = skippedRoots ? `<li class="more">${skippedRoots} more bottom layers not drawn (layerlab tree shows all)</li>` : '';
  return { html: `<ul class="tree">${roots.join('')}${more}</ul>`, drawn, nodes };
}

/** The tree figure; the list is its own text alternative, the table fallback says where the full text is. */
export function treeFigure(anyTree: AnyTree, colour: ReadonlyMap<number, number>, budget: number): { html: string; nodes: number[] } {
  const tree = treeAccess(anyTree);
  const { html, drawn, nodes } = treeHtml(tree, colour, budget);
  let hidden = 0;
  for (let i = 0; i < tree.imageCount; i++) if (!tree.imageListed(i)) hidden++;
  return { nodes, html: figure({
    id: 'tree',
    title: 'Sharing tree',
    body: html,
    summary: `The layer store as a tree: each layer sits on the exact stack below it (its chainID), branches are where images diverge, each image is listed at its top layer with df's SIZE, SHARED and UNIQUE. ${drawn} of ${tree.nodeCount} layers drawn.${hidden ? ` ${hidden} untagged build parents are shown though docker images hides them.` : ''}`,
    table: `<p>The tree above is a nested list and reads as text; <code>layerlab tree</code> prints it in a terminal and <code>layerlab tree --format json</code> gives every node.</p>`,
  }) };
}
