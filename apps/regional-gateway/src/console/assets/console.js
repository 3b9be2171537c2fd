// Progressive enhancement only: every console page works without this file.
"use strict";

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const copy = target?.closest("[data-copy]");
  if (copy) {
    const source = document.getElementById(copy.getAttribute("data-copy") ?? "");
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent ?? "").then(
        () => { copy.textContent = "Copied"; },
        () => { copy.textContent = "Copy failed: select the text instead"; },
      );
    }
    return;
  }
  const confirmer = target?.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm") ?? "Are you sure?")) event.preventDefault();
});

// Copy buttons are hidden until the script can make them work.
document.documentElement.classList.add("js");
