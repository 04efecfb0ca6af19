"""The banks a citizen can link, by their KFTC code: read by selectors, forms and services."""

from django.utils.translation import gettext_lazy

# The banks of the Korea Financial Telecommunications & Clearings Institute's code list that
# citizens of Busan use most; a real gateway would give the full list.
BANK_NAMES = {
    "002": gettext_lazy("KDB Korea Development Bank"),
    "003": gettext_lazy("IBK Industrial Bank of Korea"),
    "004": gettext_lazy("KB Kookmin Bank"),
    "007": gettext_lazy("Suhyup Bank"),
    "011": gettext_lazy("NH NongHyup Bank"),
    "020": gettext_lazy("Woori Bank"),
    "023": gettext_lazy("SC First Bank"),
    "031": gettext_lazy("iM Bank"),
    "032": gettext_lazy("BNK Busan Bank"),
    "034": gettext_lazy("Kwangju Bank"),
    "039": gettext_lazy("BNK Kyongnam Bank"),
    "045": gettext_lazy("MG Saemaul Geumgo"),
    "048": gettext_lazy("Shinhyup"),
    "071": gettext_lazy("Korea Post"),
    "081": gettext_lazy("Hana Bank"),
    "088": gettext_lazy("Shinhan Bank"),
    "089": gettext_lazy("K Bank"),
    "090": gettext_lazy("Kakao Bank"),
    "092": gettext_lazy("Toss Bank"),
}
BANK_CHOICES = list(BANK_NAMES.items())
