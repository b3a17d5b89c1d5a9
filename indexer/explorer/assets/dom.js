// Building the page's DOM without HTML strings: every value from the chain lands in a text
// node or an attribute, never in markup.

/** An element with attributes (on* become listeners; null, undefined and false are left out) and children. */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

/** Replaces `el`'s children (null, undefined and false are left out). */
export function fill(el, ...children) {
  el.replaceChildren();
  return build(el, {}, children);
}

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return el;
}

/** A table whose cells carry their column's name (narrow screens show each row as a card). */
export function table(caption, columns, rows, attrs = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      attrs,
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.length === 0 ? h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, "none")) : rows.map((row) =>
        row instanceof Node ? row : h("tr", {}, row.map((cell, i) => h("td", { "data-label": columns[i] }, cell))),
      )),
    ),
  );
}

/** A definition list from [term, value] pairs. */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

export function section(title, ...children) {
  return h("section", {}, h("h2", {}, title), ...children);
}
