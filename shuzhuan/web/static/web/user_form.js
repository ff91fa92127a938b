// 新建用户: show only the scope fields the chosen role has (the server checks them anyway).
(function () {
  var role = document.getElementById("id_role");
  if (!role) return;
  function sync() {
    document.querySelectorAll("[data-roles]").forEach(function (box) {
      var show = box.getAttribute("data-roles").split(" ").indexOf(role.value) >= 0;
      box.hidden = !show;
      box.querySelectorAll("input, select").forEach(function (el) { el.disabled = !show; });
    });
  }
  role.addEventListener("change", sync);
  sync();
})();
