// Simplified Chinese for refused values, the divergence notice and the quick-building
// controls (refusals.js, views/field-errors.js, views/layer-heads.js, views/builder-quick.js).

import { register } from "../i18n.js";

register("zh", {
  "refuse.field.learning_rate": "学习率",
  "refuse.field.batch_size": "批大小",
  "refuse.field.regularization_rate": "正则化系数",
  "refuse.field.momentum": "动量",
  "refuse.field.layers": "层宽度",
  "refuse.field.n_samples": "样本数",
  "refuse.field.noise": "噪声",
  "refuse.field.test_fraction": "测试比例",
  "refuse.field.seed": "种子",
  "refuse.atMost": "{field}最大为 {limit}。",
  "refuse.below": "{field}必须小于 {limit}。",
  "refuse.atLeast": "{field}至少为 {limit}。",
  "refuse.above": "{field}必须大于 {limit}。",
  "refuse.whole": "{field}必须是整数。",
  "refuse.number": "{field}必须是数字。",
  "refuse.other": "{field}不能取这个值。",
  "refuse.kept": "仍使用 {value}。",
  "diverge.title": "训练发散",
  "diverge.happenedAt": "在第 {step} 步，这次更新会让某个权重或损失变为无穷大，因此没有应用，训练已停止。",
  "diverge.happened": "这次更新会让某个权重或损失变为无穷大，因此没有应用，训练已停止。",
  "diverge.tryRate": "请尝试把学习率设为 {lr} 或更小，然后点“重置”。",
  "diverge.try": "请尝试更小的学习率，然后点“重置”。",
  "quick.hiddenActivation": "隐藏层 σ",
  "quick.hiddenActivationAria": "所有隐藏层的激活函数",
  "quick.mixed": "（各层不同）",
  // the API's names stay, in parentheses, beside a Chinese name where one is usual
  "quick.activation.linear": "线性 (linear)",
  "quick.activation.softplus": "软加 (softplus)",
  "quick.activation.square": "平方 (square)",
  "quick.activation.leaky_relu": "带泄漏的 relu (leaky_relu)",
  "quick.widthOf": "第 {l} 层的宽度",
  "quick.clearData": "清空数据",
  "quick.clearDataTitle": "删除所有数据点，之后在图上点击添加新的点",
});
