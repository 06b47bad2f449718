#!/usr/bin/env python3
"""Load every threatc layer in MITRE's own layer library and export it.

Usage: pip install mitreattack-python && python3 scripts/check_layers.py out/layers [--export DIR]

Each layer file is loaded with mitreattack.navlayers.Layer; any warning the library prints
or raises while loading makes this script fail. With --export, each layer is also exported
to Excel (ToExcel) and SVG (ToSvg) using a local ATT&CK bundle given by --stix FILE, since
the exporters need ATT&CK data and this script must not fetch anything.
"""
import argparse
import contextlib
import io
import pathlib
import sys
import warnings


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("layers")
    ap.add_argument("--export", help="folder for .xlsx and .svg exports")
    ap.add_argument("--stix", help="local enterprise-attack bundle for the exporters")
    args = ap.parse_args()
    from mitreattack.navlayers import Layer  # type: ignore

    failures = 0
    files = sorted(p for p in pathlib.Path(args.layers).glob("*.json") if p.name != "all.json")
    for f in files:
        out = io.StringIO()
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            warnings.simplefilter("always")
            layer = Layer()
            layer.from_file(str(f))
        printed = out.getvalue().strip()
        if caught or printed:
            failures += 1
            print(f"FAIL {f.name}: {[str(w.message) for w in caught]} {printed}")
            continue
        if args.export and args.stix:
            from mitreattack.navlayers import ToExcel, ToSvg  # type: ignore

            dest = pathlib.Path(args.export)
            dest.mkdir(parents=True, exist_ok=True)
            ToExcel(domain=layer.layer.domain, source="local", resource=args.stix).to_xlsx(layerInit=layer, filepath=str(dest / (f.stem + ".xlsx")))
            ToSvg(domain=layer.layer.domain, source="local", resource=args.stix).to_svg(layerInit=layer, filepath=str(dest / (f.stem + ".svg")))
        print(f"ok   {f.name}")
    print(f"{len(files) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
