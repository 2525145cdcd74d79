// The classroom features (issue 8), mounted into the header's #classroom-bar:
// presenter mode, sharing and follow links, exports, keyboard shortcuts, the language
// switch, and keyboard access to the network view. `start()` reads the page address
// and answers the options of actions.init(): a shared setup (#setup=…) or a session to
// follow (?follow=<id>).

import { t } from "../i18n.js";
import { mountNetworkAccess } from "./a11y.js";
import { mountExport } from "./export.js";
import { followInUrl, mountFollow } from "./follow.js";
import { backInUrl, classInUrl, classOfSession, mountBack, mountStudent, mountTeacher } from "./live.js";
import { mountKeyboard } from "./keyboard.js";
import { applyInitialLanguage, mountLanguageSwitch } from "./language.js";
import { mountPresenter } from "./presenter.js";
import { decodeSetup, mountShare, setupInUrl } from "./share.js";

export async function mountClassroom(store, actions, { bar, network }) {
  const follow = followInUrl();
  // a ?follow= link to a session shown in a live class joins the class (live.js)
  const classId = classInUrl() ?? (follow ? await classOfSession(follow) : null);
  const presenter = mountPresenter(bar, { onChange: (on) => store.emit("presenter", on) });
  const share = mountShare(store, bar);
  mountExport(store, actions, bar);
  mountKeyboard(store, bar, { presenter, readOnly: () => !!follow || !!classId });
  mountLanguageSwitch(bar);
  mountNetworkAccess(store, actions, network);
  const student = classId ? mountStudent(store, actions, { bar, presenter, classId }) : null;
  const teacher = student ? null : mountTeacher(store, { bar, share, presenter });
  const back = backInUrl();
  if (back && !student) mountBack(bar, back);
  const following = follow || classId ? mountFollow(store, actions, bar, classId ?? follow) : null;
  applyInitialLanguage();

  return {
    /** The options of actions.init() from the page address. */
    async start() {
      if (student) {
        const id = await student.firstSession();
        if (id) return { follow: id };
      }
      if (follow) return { follow };
      const setup = setupInUrl();
      if (!setup) return {};
      try {
        return { spec: await decodeSetup(setup) };
      } catch (err) {
        store.emit("error", { title: t("share.failed", "Shared link"), message: t("share.damaged", "The link's setup could not be read ({reason}); the page starts with the default network.", { reason: err.message }) });
        return {};
      }
    },
    /** After the first session is shown. */
    ready() {
      presenter.refresh();
      if (student) student.ready();
      else following?.start(); // polling, for a ?follow= session not in a class
      teacher?.ready();
    },
  };
}
