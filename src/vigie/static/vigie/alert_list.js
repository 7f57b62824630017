// Alert list: "select all on this page", and no live refresh while alerts are selected (the
// refresh would replace the rows and lose the selection). Without JavaScript each alert is
// still selected by its own checkbox.
"use strict";

document.addEventListener("change", (event) => {
  const box = event.target;
  if (box instanceof HTMLInputElement && box.id === "select-all") {
    document.querySelectorAll("input.select-alert").forEach((each) => {
      each.checked = box.checked;
    });
  }
});

document.addEventListener("htmx:beforeRequest", (event) => {
  const rows = document.getElementById("alert-rows");
  if (rows && event.target === rows && rows.querySelector("input[type=checkbox]:checked")) {
    event.preventDefault();
  }
});
