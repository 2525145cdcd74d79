"""Classroom: English and 中文 (issue 8).

Switching to 中文 translates the labels and explanations — the static page, the views,
the catalog's texts (preset titles, dataset descriptions) and the classroom controls —
keeps math notation as it is, and survives a reload.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UI, wait_idle

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u4e00-\u9fff]")
NAMES = {"tanh", "xavier", "sigmoid", "relu", "adam", "Shift"}  # the API's names, a key's name


def test_switching_to_chinese_translates_the_page_and_survives_a_reload(ui: UI) -> None:
    page = ui.page
    expect(page.locator("[data-action=forward]")).to_contain_text("Forward")
    expect(page.locator("[data-lang=en]")).to_have_attribute("aria-pressed", "true")
    page.click("[data-action=backward]")
    wait_idle(ui)

    page.click("[data-lang=zh]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("[data-lang=zh]")).to_have_attribute("aria-pressed", "true")

    def chinese() -> None:
        expected = {
            "[data-action=forward]": "前向", "[data-action=backward]": "反向",
            "[data-action=step]": "单步", "[data-action=play]": "播放",
            "[data-action=reset]": "重置",
            "#panel-builder .panel-title": "网络", "#panel-data .panel-title": "数据",
            "#panel-training .panel-title": "训练", "#panel-output .panel-title": "输出",
            ".metric dt >> nth=1": "训练损失", ".tagline": "前向、反向与 SGD",
            "[data-edge-mode=grad]": "梯度 ∂C/∂W",  # math unchanged
            "#training-controls": "学习率 η", "#builder-controls": "损失函数",
            "[data-control=presenter]": "演示模式", "[data-control=share]": "分享",
            "[data-control=export]": "导出", "#network-footer": "神经元小图",
            "#loss-chart + .chart-legend": "对数坐标", ".layer-head >> nth=1": "隐藏层 1",
        }  # fmt: skip
        for selector, text in expected.items():
            expect(page.locator(selector).first).to_contain_text(text)
        # texts from the catalog, translated by preset id and dataset name
        expect(page.locator("[data-control=preset] option[value=xor]")).to_have_text(
            "XOR：2-2-1 sigmoid 网络"
        )
        description = page.locator("#data-controls p.hint").first.inner_text()
        assert HAN.search(description), description
        # attributes too: titles and accessible names
        assert page.get_attribute("[data-action=step]", "title") == "用下一个小批量做一次 SGD 更新"
        assert page.get_attribute("[data-control=dataset]", "aria-label") == "数据集"
        expect(page.locator('[data-node="1:0"]')).to_have_attribute(
            "aria-label", re.compile(r"^第 1 层隐藏神经元 0.*δ = ")
        )
        # no English words left; the API's names (tanh, "正态 (normal)") and math stay
        for selector in (
            "#runbar",
            "#panel-builder",
            "#panel-data",
            "#panel-training",
            "#network-toolbar",
        ):
            text = re.sub(r"\([^)]*\)", "", page.locator(selector).inner_text())
            words = re.findall(r"\b[A-Za-z]{4,}\b", text)
            leftover = [w for w in words if w not in NAMES]
            assert leftover == [], f"{selector}: {leftover}"

    chinese()
    ui.shot("classroom-zh-1280x720")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    wait_idle(ui)
    page.click("[data-action=backward]")
    wait_idle(ui)
    chinese()
    page.click("[data-control=share]")
    expect(page.locator("[data-role=share-panel]")).to_contain_text("此设置的链接")
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.locator("dialog[data-dialog=keys]")).to_contain_text("播放 / 暂停训练")
    ui.shot("classroom-zh-keys")
    page.keyboard.press("Escape")

    page.click("[data-lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-action=forward]")).to_contain_text("Forward")
    expect(page.locator("#panel-data .panel-title")).to_have_text("Data")
    expect(page.locator("[data-control=preset] option[value=xor]")).to_have_text(
        "XOR with 2-2-1 sigmoid"
    )
    assert page.evaluate("() => localStorage.getItem('backprop-explorer.language')") == "en"
