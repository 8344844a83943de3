// The actuals import: once a form is sent, say that the portal is working and block a second submit.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const note = form.querySelector(".sheet-progress");
  if (!note) {
    return;
  }
  note.hidden = false;
  // Disabled after the browser has taken the form's data, so the submission itself is not affected.
  setTimeout(() => {
    for (const button of form.querySelectorAll("input[type=submit], button[type=submit]")) {
      button.disabled = true;
    }
  }, 0);
});
