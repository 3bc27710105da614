"""Read a diagram's SVG back: its alt text and the plain text of every label drawn on it."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str):
    """The root element; raises if the text is not well-formed XML with an <svg> root."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg", root.tag
    return root


def alt_text(svg: str) -> str:
    """The root's <title> (the alt text)."""
    return parse(svg).find(f"{SVG}title").text


def labels(svg: str) -> list[str]:
    """The plain text of each label, in drawing order (the <title> of each label-N group)."""
    root = parse(svg)
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("id", "").startswith("label-"):
            title = group.find(f"{SVG}title")
            found.append(title.text if title is not None else None)
    return found
