"""The AI receptionist: one LiveKit agent served over voice (worker) and text (the hub in `serve`).

Importing this package imports nothing heavy; the submodules import LiveKit when used.
"""
