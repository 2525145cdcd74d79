// Simplified Chinese for the page address, undo/redo, run-to-target and branching (issue 17).

import { register } from "../i18n.js";

register("zh", {
  "address.title": "页面地址",
  "address.bad": "地址中的部分值在此无效，已改用默认值：{keys}。",
  "address.goneTitle": "此会话已不存在",
  "address.gone": "地址指向会话 {id}，但服务器上已没有它（已删除或过期）。可以用默认网络重新开始，或选择一个预设。",
  "address.fresh": "重新开始",
  "undo.title": "撤销上一次编辑（Ctrl+Z）",
  "undo.redoTitle": "重做（Ctrl+Shift+Z）",
  "undo.undo": "撤销",
  "undo.redo": "重做",
  "target.count": "数量",
  "target.unit": "步或轮",
  "target.steps": "步",
  "target.epochs": "轮",
  "target.title": "训练这么多步或轮，然后停止",
  "target.run": "运行",
  "metric.epoch": "轮次",
  "branch.title": "从这里继续",
  "branch.action": "从这里继续",
  "branch.actionTitle": "以此快照（权重、优化器状态与小批量位置）开始一个新会话",
  "branch.chartAction": "从第 {s} 步继续",
  "branch.chartNearest": "从第 {s} 步继续（第 {c} 步之前的快照）",
  "branch.chartTitle": "已选第 {c} 步：从不晚于它的最近快照（第 {s} 步）开始一个新会话（权重、优化器状态与小批量位置）",
  "branch.chartNone": "第 {c} 步及之前没有保存的快照",
  "branch.chartLooking": "正在查找快照…",
  "chart.stepsLabel": "损失随步数变化：方向键选择一步以从那里继续，回车继续",
  "branch.done": "新会话从第 {s} 步继续；原会话不变（后退可返回）。",
});
