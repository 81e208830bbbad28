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
