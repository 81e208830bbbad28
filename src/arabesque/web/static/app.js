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
