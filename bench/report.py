"""Printing results the same way in every benchmark."""


def ratio_line(label: str, ratio: float, goal: float, digits: int = 2) -> str:
    verdict = "PASS" if ratio >= goal else "BELOW GOAL"
    return f"  {label}: {ratio:.{digits}f} (goal >= {goal}) {verdict}"


def table(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
