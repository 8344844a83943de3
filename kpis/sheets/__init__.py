"""Spreadsheets: the HQ's review workbook, the departments' fill-in template and its import back.

The template's columns are exactly the import's columns (``kpis.sheets.columns``), so what the
portal hands out is what it takes back.
"""
