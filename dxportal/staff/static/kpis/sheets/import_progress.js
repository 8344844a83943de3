// The actuals and plan imports: once a form is sent, say that the portal is working and block a second
// submit. A large workbook takes a while to upload and read, so the note may name the file and its size
// (elements data-file-name and data-file-size in the note).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const note = form.querySelector(".sheet-progress");
  if (!note) {
    return;
  }
  const input = form.querySelector("input[type=file]");
  const file = input && input.files.length ? input.files[0] : null;
  for (const slot of note.querySelectorAll("[data-file-name]")) {
    slot.textContent = file ? file.name : "";
  }
  for (const slot of note.querySelectorAll("[data-file-size]")) {
    slot.textContent = file ? sizeText(file.size) : "";
  }
  note.hidden = false;
  // Disabled after the browser has taken the form's data, so the submission itself is not affected.
  setTimeout(() => {
    for (const button of form.querySelectorAll("input[type=submit], button[type=submit]")) {
      button.disabled = true;
    }
  }, 0);
});

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) {
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
