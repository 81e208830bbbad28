// Behaviour the pages attach here rather than inline: the Content-Security-Policy allows no inline script.

// A <select data-autosubmit> submits its form when it changes (the project switcher).
document.addEventListener("change", (e) => {
  const select = e.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// A <form data-confirm="question"> asks before it is submitted.
document.addEventListener("submit", (e) => {
  const form = e.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) e.preventDefault();
});

// Document viewer: rotate and zoom page images (client-side only; nothing is saved).
document.addEventListener("click", (e) => {
  const button = e.target.closest("[data-rotate],[data-zoom]");
  if (!button) return;
  const figure = button.closest("figure");
  const img = figure && figure.querySelector("img");
  if (!img) return;
  if (button.hasAttribute("data-rotate")) {
    const turn = ((Number(img.dataset.turn) || 0) + 90) % 360;
    img.dataset.turn = String(turn);
    img.style.transform = `rotate(${turn}deg)`;
  } else {
    img.parentElement.classList.toggle("zoomed");
  }
});

// The case list refreshes itself every 15 s; not while cases are checked for bulk assignment (the checks
// would be lost).
document.addEventListener("htmx:beforeRequest", (e) => {
  const holder = e.target.closest && e.target.closest("[data-hold-when-checked]");
  if (holder && e.target === holder && holder.querySelector("input[type=checkbox]:checked")) e.preventDefault();
});

// A header checkbox [data-check-all] checks or clears every row of its table.
document.addEventListener("change", (e) => {
  const all = e.target.closest("input[data-check-all]");
  if (!all) return;
  for (const box of all.closest("table").querySelectorAll("tbody input[type=checkbox]")) box.checked = all.checked;
});
