// The sharing tree as nested lists: the text of `layerlab tree`, with the stacks' colours.
import type { LayerTree } from '../../analyze/tree.js';
import { describeTreeImage, describeTreeLayer } from '../tree.js';
import { esc, figure } from './markup.js';

/** Nested `<ul>` of the tree; at most `budget` layer nodes, the rest counted in a closing item. */
export function treeHtml(tree: LayerTree, colour: ReadonlyMap<number, number>, budget: number): { html: string; drawn: number; nodes: number[] } {
  let drawn = 0;
  const nodes: number[] = [];
  const line = (k: number): string => {
    drawn++;
    nodes.push(k);
    const n = tree.nodes[k];
    const c = colour.get(k);
    const swatch = `<span class="sw ${c === undefined ? (n.users > 1 ? 'shared' : 'u') : `c${c}`}" aria-hidden="true"></span>`;
    return `<div class="layerline" data-n="${k}">${swatch}${esc(describeTreeLayer(n))}</div>`;
  };
  // A layer with one layer on it and no image ending is drawn with that layer in the same item,
  // so a long stack reads as a column (as the terminal tree does).
  const node = (first: number): string => {
    let k = first;
    let lines = line(k);
    while (tree.nodes[k].images.length === 0 && tree.nodes[k].children.length === 1) {
      k = tree.nodes[k].children[0];
      lines += line(k);
    }
    const n = tree.nodes[k];
    const images = n.images
      .map((i) => {
        const img = tree.images[i];
        const ctrs = img.containers.map((ct) => `<li class="ctr">container ${esc(ct.name ?? ct.id.slice(0, 12))} (${esc(ct.state)})</li>`).join('');
        return `<li class="img${img.listed ? '' : ' hidden-parent'}">${esc(describeTreeImage(img, tree))}${ctrs ? `<ul>${ctrs}</ul>` : ''}</li>`;
      })
      .join('');
    const kids: string[] = [];
    let skipped = 0;
    for (const c2 of n.children) {
      if (drawn >= budget) skipped++;
      else kids.push(node(c2));
    }
    const more = skipped ? `<li class="more">${skipped} more branch${skipped === 1 ? '' : 'es'} not drawn (layerlab tree shows all)</li>` : '';
    const inner = images + kids.join('') + more;
    return `<li class="node">${lines}${inner ? `<ul>${inner}</ul>` : ''}</li>`;
  };
  const roots: string[] = [];
  let skippedRoots = 0;
  for (const r of tree.roots) {
    if (drawn >= budget) skippedRoots++;
    else roots.push(node(r));
  }
  const more = skippedRoots ? `<li class="more">${skippedRoots} more bottom layers not drawn (layerlab tree shows all)</li>` : '';
  return { html: `<ul class="tree">${roots.join('')}${more}</ul>`, drawn, nodes };
}

/** The tree figure; the list is its own text alternative, the table fallback says where the full text is. */
export function treeFigure(tree: LayerTree, colour: ReadonlyMap<number, number>, budget: number): { html: string; nodes: number[] } {
  const { html, drawn, nodes } = treeHtml(tree, colour, budget);
  const hidden = tree.images.filter((i) => !i.listed).length;
  return { nodes, html: figure({
    id: 'tree',
    title: 'Sharing tree',
    body: html,
    summary: `The layer store as a tree: each layer sits on the exact stack below it (its chainID), branches are where images diverge, each image is listed at its top layer with df's SIZE, SHARED and UNIQUE. ${drawn} of ${tree.nodes.length} layers drawn.${hidden ? ` ${hidden} untagged build parents are shown though docker images hides them.` : ''}`,
    table: `<p>The tree above is a nested list and reads as text; <code>layerlab tree</code> prints it in a terminal and <code>layerlab tree --format json</code> gives every node.</p>`,
  }) };
}
