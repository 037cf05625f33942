# The scheme's English style: the month in full, a 24-hour clock ("3 March 2027, 14:30").
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
