// Simplified Chinese for the live class (classroom/live.js).

import { register } from "../i18n.js";

register("zh", {
  "live.title": "实时课堂",
  "live.text": "学生打开加入链接（或扫描二维码）后，会实时跟随你展示的内容，包括新的网络、数据集和预设。",
  "live.open": "开设课堂",
  "live.showQr": "显示二维码",
  "live.qrTitle": "加入课堂",
  "live.failed": "无法开设课堂。",
  "live.students": "{n} 名学生",
  "live.studentsTitle": "已连接到你课堂的学生",
  "live.live": "课堂已开设。",
  "live.ended": "课堂已结束：{reason}",
  "live.reconnecting": "正在重新连接…",
  "live.following": "实时课堂",
  "live.try": "自己试试",
  "live.tryTitle": "以当前状态打开你自己的副本，所有控件可用；随时可以回到课堂",
  "live.back": "回到课堂",
});
