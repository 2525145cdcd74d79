// Simplified Chinese for the guided lesson (lesson/). Formulas between $…$ stay as they are;
// {name} placeholders are filled with the learner's numbers.

import { register } from "../i18n.js";

register("zh", {
  // the lesson's frame
  "lesson.button": "课程",
  "lesson.openTitle": "引导课程：在这个网络上一步步推导反向传播",
  "lesson.close": "关闭课程",
  "lesson.counter": "第 {n} 步，共 {total} 步",
  "lesson.prev": "← 上一步",
  "lesson.next": "下一步 →",
  "lesson.finish": "完成 ✓",
  "lesson.suggest": "第一次来？用七步在这个网络上推导反向传播。",
  "lesson.suggestShort": "第一次来？",
  "lesson.start": "开始课程",
  "lesson.dismiss": "以后再说",

  // exercises
  "lesson.predict": "先预测，再核对",
  "lesson.answer": "你的答案",
  "lesson.check": "核对",
  "lesson.notNumber": "请输入一个数，例如 1.68 或 −0.32。",
  "lesson.right": "正确：引擎算出的是 ${truth}$。",
  "lesson.wrong": "还差一点：你写的是 ${answer}$，引擎算出的是 ${truth}$。下面用你的网络里的数把计算过程写出来：",

  // 1
  "lesson.s1.title": "学习的四个步骤",
  "lesson.s1.intro": "神经网络的学习分四步。每一步都对应这个页面上的一个按钮或面板，作用在你眼前的这个网络上：",
  "lesson.s1.a": "(a) 搭建网络：层数、每层宽度和激活函数（“网络”面板）。",
  "lesson.s1.b": "(b) 初始化参数：随机的权重 $W^l$ 和偏置 $b^l$（“重置”会重新抽取）。",
  "lesson.s1.c": "(c) 对样本计算损失的梯度 $\\partial C/\\partial w$，一次算出所有参数的梯度（“反向”）。",
  "lesson.s1.d": "(d) 用随机梯度下降更新：$w \\leftarrow w - \\eta\\,\\partial C/\\partial w$（“单步”）。",
  "lesson.s1.count": "你的网络有 ${count}$ 个参数，学习率 $\\eta = {eta}$：每个小批量，第 (c) 步都要给出 ${count}$ 个偏导数。",
  "lesson.s1.why": "(a)、(b)、(d) 都不难想象，(c) 却不直观：网络深处的一个权重会改变它后面的每一个神经元，损失通过所有这些神经元依赖于它。反向传播能以大约再做一次前向传播的代价，算出每个权重的 (c)。接下来的几步从一个权重开始，一直推导到你的整个网络。",

  // 2
  "lesson.s2.title": "一个参数：C = ½w⁴",
  "lesson.s2.intro": "从最小的网络开始：一个权重 $w$，输入 $x = 1$，目标 $y = 0$，激活 $a = (wx)^2$，损失 $C = \\tfrac12 (a - y)^2$。于是 $C(w) = \\tfrac12 w^4$，由链式法则 $\\partial C/\\partial w = 2w^3$。页面现在用的就是这个网络。",
  "lesson.s2.drag": "拖动圆点改变 $w^0$，或修改 $\\eta$：切线的斜率就是梯度，每个小点是一次 SGD 更新 $w^{t+1} = w^t - \\eta\\, 2 (w^t)^3$。",
  "lesson.s2.after": "以 $\\eta = {eta}$ 走 {k} 步之后：",
  "lesson.s2.book": "从 $w = 2$、$\\eta = 0.02$ 出发，30 步后到达 $w = 0.597$：越接近最小值，斜率 $2w^3$ 越平，步子也越小。",
  "lesson.s2.diverged": "$\\eta = {eta}$ 太大了：每一步越过最小值的距离比出发时离它还远，$|w|$ 不断变大；引擎拒绝了第 {k} 步，因为 $w$ 将不再是有限的数。这就是发散。",
  "lesson.s2.lossTitle": "这 30 次迭代的损失",
  "lesson.s2.all": "全部 30 个迭代值（由引擎计算）",
  "lesson.s2.q": "从 $w^0 = {w0}$、$\\eta = {eta}$ 出发，做一次 SGD 更新后 $w^1$ 是多少？",

  // 3
  "lesson.s3.title": "一般的 x，再到任意损失",
  "lesson.s3.intro": "现在让 $x$ 取任意值。记 $z = wx$、$a = z^2$，链式法则把链条 $w \\to z \\to a \\to C$ 上每一环的导数乘起来：",
  "lesson.s3.any": "这里并不需要损失是 $\\tfrac12(a-y)^2$：换成任何可微的损失，只有第一个因子 $C'(a)$ 会变。改变 $w$、$x$、$y$ 或损失，看每个因子如何变化。",
  "lesson.s3.bceRange": "交叉熵要求 $0 < a < 1$ 且 $0 \\le y \\le 1$；这里 $a = (wx)^2 = {a}$。请把 $w$ 或 $x$ 调小。",
  "lesson.s3.engine": "引擎的反向传播给出",
  "lesson.s3.q": "把 $x$ 改成 ${x2}$（$w = {w}$、$y = {y}$ 和损失不变）。动手之前，先预测 $\\partial C/\\partial w$。",
  "lesson.s3.q0": "用这些数，$\\partial C/\\partial w$ 是多少？",

  // 4
  "lesson.s4.title": "层的复合",
  "lesson.s4.intro": "页面现在是一条由三层组成的链，每层一个神经元：$a^1 = \\tanh(w^1 x)$，$a^2 = \\tanh(w^2 a^1)$，$a^3 = w^3 a^2$，$C = \\tfrac12 (a^3 - y)^2$。损失是函数的复合，所以它对 $w^1$ 的导数就是每一环导数的乘积：",
  "lesson.s4.edit": "在网络图里点一个权重并修改它：下面的每个因子都会由引擎重新计算。从损失往回读这个乘积：反向传播正是按这个顺序计算的。",
  "lesson.s4.engine": "引擎算出的 $\\partial C/\\partial w^1$：",
  "lesson.s4.changed": "这一步需要三层的链；退回上一步再前进，就会重新搭好它。",
  "lesson.s4.q": "已知 $\\delta^2 = {d2}$，$w^2 = {w2}$，$a^1 = {a1}$（对 ${act}$ 有 $\\sigma_1'(z^1) = 1 - (a^1)^2$），$\\delta^1$ 是多少？",

  // 5
  "lesson.s5.title": "许多参数：路径",
  "lesson.s5.intro": "在真实的网络里，权重 $W^1_{11}$（第 1 层，从输入 1 到神经元 1）改变 $z^1_1$，它改变第 2 层的每个神经元，而每个神经元又改变第 3 层的每个神经元，一直到损失。链式法则对每一条路径上的乘积求和：",
  "lesson.s5.count": "在你的网络中，从 $W^1_{11}$ 到损失的路径数：",
  "lesson.s5.top": "最大的 {k} 条路径在网络上高亮显示；线越粗，这一项越大。",
  "lesson.s5.hidden": "隐藏层数",
  "lesson.s5.paths": "路径数",
  "lesson.s5.grow": "每条路径一项，路径数是第 1 层之后各层宽度的乘积：它随深度指数增长。在“网络”面板里加一个隐藏层，看看这个数。",
  "lesson.s5.q": "你的网络各层宽度为 ${layers}$。从 $W^1_{11}$ 到损失共有多少条路径？",
  "lesson.s5.derive": "在第 1 层之后的每一层各选一个神经元：$n_2 \\cdot n_3 \\cdots n_L$。",

  // 6
  "lesson.s6.title": "动态规划",
  "lesson.s6.intro": "这些路径共享它们的后半段：经过第 $l$ 层神经元 $j$ 的每条路径，之后走向损失的方式都一样。所以为每个神经元只存一次 $\\delta^l_j = \\partial C/\\partial z^l_j$，并由它后面一层算出来。在输出层：",
  "lesson.s6.elementwise": "（σ 逐元素时）",
  "lesson.s6.rec": "然后从第 $L-1$ 层往下到第 $1$ 层，用递推式算出每层的 δ 和梯度：",
  "lesson.s6.animate": "▶ 反向传播，逐层进行",
  "lesson.s6.sum": "对路径求和",
  "lesson.s6.dp": "δ 递推",
  "lesson.s6.madds": "乘加次数",
  "lesson.s6.same": "同一个梯度，乘加次数却少了 {ratio} 倍；网络越深，差距按指数增长。",
  "lesson.s6.q": "已知 $\\delta^{{L}} = {dL}$，从第 {l} 层神经元 1 出发进入它的权重 ${w}$，以及 $\\sigma'(z^{{l}}_1) = {sp}$：$\\delta^{{l}}_1$ 是多少？",

  // 7
  "lesson.s7.title": "综合起来",
  "lesson.s7.intro": "现在在你的网络上走完四步。对下一个含 $B$ 个样本的小批量，前向传播保存每个 $z^l$ 和 $a^l$，反向传播保存每个 $\\delta^l$，每个权重沿平均梯度的反方向移动：",
  "lesson.s7.q": "按下按钮之前：这一步之后 $W^1_{11}$ 会是多少？",
  "lesson.s7.step": "⇥ 走这一步",
  "lesson.s7.play": "▶ 播放",
  "lesson.s7.playNote": "“播放”就是一个小批量接一个小批量地重复这件事。看着损失下降、输出成形：这就是学习的全部。",
});
