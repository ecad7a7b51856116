"""A hypothetical State Council notice for 2027, in the shape of the real ones (国务院办公厅关于
2027年部分节假日安排的通知): 元旦 1/1 off with Saturday 1/2 worked, 春节 2/5–2/12 with Saturday 2/20
worked, and every other holiday of 《全国年节及纪念日放假办法》§2. Tests enter it as the calendar
administrator would (the form's text, one line a day or a range)."""

from __future__ import annotations

NUMBER_2027 = "国办发明电〔2026〕12号"
HOLIDAYS_2027 = """2027-01-01 元旦
2027-02-05至2027-02-12 春节
2027-04-03至2027-04-05 清明节
2027-05-01至2027-05-05 劳动节
2027-06-09 端午节
2027-09-15 中秋节
2027-10-01至2027-10-07 国庆节"""
MAKEUP_2027 = "2027-01-02 元旦\n2027-02-20 春节"

#: The notice as the workbench form (``/workbench/calendar/notices/new/``) receives it.
NOTICE_2027_FORM = {
    "year": "2027",
    "document_number": NUMBER_2027,
    "issued_on": "2026-11-04",
    "holidays": HOLIDAYS_2027,
    "makeup_workdays": MAKEUP_2027,
}
