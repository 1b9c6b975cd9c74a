"""`ops report`: guide 002's weekly review as one self-contained HTML page (plots embedded as PNG)."""
