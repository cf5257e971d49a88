// What two BibTeX consumers read from a .bib file: citation-js (BibTeX to CSL-JSON, as citation
// tools convert it) and @retorquere/bibtex-parser (the parser Better BibTeX for Zotero imports with).
// Run with the folder holding their node_modules as working directory; prints one JSON document.
import { readFileSync } from "node:fs";
import { Cite } from "@citation-js/core";
import "@citation-js/plugin-bibtex";
import { parse } from "@retorquere/bibtex-parser";

const text = readFileSync(process.argv[process.argv.length - 1], "utf8");
const csl = new Cite(text).data.map(({ _graph, ...item }) => item);
const bbt = parse(text);
process.stdout.write(
  JSON.stringify({
    citation_js: csl,
    better_bibtex: {
      entries: bbt.entries.map(({ type, key, fields }) => ({ type, key, fields })),
      errors: bbt.errors,
    },
  }),
);
