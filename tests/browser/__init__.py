"""The UI in headless Chromium against a real `podium server`."""
