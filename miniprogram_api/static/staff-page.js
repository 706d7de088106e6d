// The staff pages' sign-in: the token goes once, in a header, for an HttpOnly session cookie; the
// page never stores it. `onDone` starts the page.
async function signIn(onDone) {
  const field = document.getElementById("token");
  const resp = await fetch("/admin/session", {method: "POST", credentials: "same-origin",
                                              headers: {"Authorization": "Bearer " + field.value.trim()}});
  field.value = "";
  document.getElementById("loginError").textContent = resp.ok ? "" : "令牌无效或已停用";
  if (resp.ok) onDone();
}
