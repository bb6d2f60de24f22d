"""The Philippine places the simulator knows.

Provinces are the document's Appendix D, in its order, with their ISO 3166-2 codes; the
appendix's last row ("PH-00") is cut off in the document and is Metro Manila, which its
examples use. Metro Manila (id 43044), Taguig (44738) and Kamuning come from the
document's examples. Municipalities and barangays are real for the provinces in REAL_
MUNICIPALITIES and REAL_BARANGAYS; every other province gets a small, plausible set
generated deterministically from its name (see locations.py).
"""

from __future__ import annotations

LUZON, VISAYAS, MINDANAO = "LUZON", "VISAYAS", "MINDANAO"
ISLANDS = (LUZON, VISAYAS, MINDANAO)

# (ISO 3166-2 code, name, island group)
PROVINCES: tuple[tuple[str, str, str], ...] = (
    ("PH-ABR", "Abra", LUZON),
    ("PH-AGN", "Agusan del Norte", MINDANAO),
    ("PH-AGS", "Agusan del Sur", MINDANAO),
    ("PH-AKL", "Aklan", VISAYAS),
    ("PH-ALB", "Albay", LUZON),
    ("PH-ANT", "Antique", VISAYAS),
    ("PH-APA", "Apayao", LUZON),
    ("PH-AUR", "Aurora", LUZON),
    ("PH-BAS", "Basilan", MINDANAO),
    ("PH-BAN", "Bataan", LUZON),
    ("PH-BTN", "Batanes", LUZON),
    ("PH-BTG", "Batangas", LUZON),
    ("PH-BEN", "Benguet", LUZON),
    ("PH-BIL", "Biliran", VISAYAS),
    ("PH-BOH", "Bohol", VISAYAS),
    ("PH-BUK", "Bukidnon", MINDANAO),
    ("PH-BUL", "Bulacan", LUZON),
    ("PH-CAG", "Cagayan", LUZON),
    ("PH-CAN", "Camarines Norte", LUZON),
    ("PH-CAS", "Camarines Sur", LUZON),
    ("PH-CAM", "Camiguin", MINDANAO),
    ("PH-CAP", "Capiz", VISAYAS),
    ("PH-CAT", "Catanduanes", LUZON),
    ("PH-CAV", "Cavite", LUZON),
    ("PH-CEB", "Cebu", VISAYAS),
    ("PH-COM", "Compostela Valley", MINDANAO),
    ("PH-NCO", "Cotabato", MINDANAO),
    ("PH-DAV", "Davao del Norte", MINDANAO),
    ("PH-DAS", "Davao del Sur", MINDANAO),
    ("PH-DVO", "Davao Occidental", MINDANAO),
    ("PH-DAO", "Davao Oriental", MINDANAO),
    ("PH-DIN", "Dinagat Islands", MINDANAO),
    ("PH-EAS", "Eastern Samar", VISAYAS),
    ("PH-GUI", "Guimaras", VISAYAS),
    ("PH-IFU", "Ifugao", LUZON),
    ("PH-ILN", "Ilocos Norte", LUZON),
    ("PH-ILS", "Ilocos Sur", LUZON),
    ("PH-ILI", "Iloilo", VISAYAS),
    ("PH-ISA", "Isabela", LUZON),
    ("PH-KAL", "Kalinga", LUZON),
    ("PH-LUN", "La Union", LUZON),
    ("PH-LAG", "Laguna", LUZON),
    ("PH-LAN", "Lanao del Norte", MINDANAO),
    ("PH-LAS", "Lanao del Sur", MINDANAO),
    ("PH-LEY", "Leyte", VISAYAS),
    ("PH-MAG", "Maguindanao", MINDANAO),
    ("PH-MAD", "Marinduque", LUZON),
    ("PH-MAS", "Masbate", LUZON),
    ("PH-MSC", "Misamis Occidental", MINDANAO),
    ("PH-MSR", "Misamis Oriental", MINDANAO),
    ("PH-MOU", "Mountain Province", LUZON),
    ("PH-NEC", "Negros Occidental", VISAYAS),
    ("PH-NER", "Negros Oriental", VISAYAS),
    ("PH-NSA", "Northern Samar", VISAYAS),
    ("PH-NUE", "Nueva Ecija", LUZON),
    ("PH-NUV", "Nueva Vizcaya", LUZON),
    ("PH-MDC", "Occidental Mindoro", LUZON),
    ("PH-MDR", "Oriental Mindoro", LUZON),
    ("PH-PLW", "Palawan", LUZON),
    ("PH-PAM", "Pampanga", LUZON),
    ("PH-PAN", "Pangasinan", LUZON),
    ("PH-QUE", "Quezon", LUZON),
    ("PH-QUI", "Quirino", LUZON),
    ("PH-RIZ", "Rizal", LUZON),
    ("PH-ROM", "Romblon", LUZON),
    ("PH-WSA", "Samar", VISAYAS),
    ("PH-SAR", "Sarangani", MINDANAO),
    ("PH-SIG", "Siquijor", VISAYAS),
    ("PH-SOR", "Sorsogon", LUZON),
    ("PH-SCO", "South Cotabato", MINDANAO),
    ("PH-SLE", "Southern Leyte", VISAYAS),
    ("PH-SUK", "Sultan Kudarat", MINDANAO),
    ("PH-SLU", "Sulu", MINDANAO),
    ("PH-SUN", "Surigao del Norte", MINDANAO),
    ("PH-SUR", "Surigao del Sur", MINDANAO),
    ("PH-TAR", "Tarlac", LUZON),
    ("PH-TAW", "Tawi-Tawi", MINDANAO),
    ("PH-ZMB", "Zambales", LUZON),
    ("PH-ZAN", "Zamboanga del Norte", MINDANAO),
    ("PH-ZAS", "Zamboanga del Sur", MINDANAO),
    ("PH-ZSI", "Zamboanga Sibugay", MINDANAO),
    ("PH-00", "Metro Manila", LUZON),
)
METRO_MANILA = "Metro Manila"
METRO_MANILA_ID = 43044
FIRST_OTHER_PROVINCE_ID = 43045
METRO_MANILA_FIRST_CITY_ID = 44723  # so that Taguig, 16th below, is the document's 44738

# Metro Manila's hubs: (port code, hub name, cities). Every other province's port code
# is its ISO code's suffix (PH-ZMB -> ZMB), the document's "BTN" and "ZMB" among them.
METRO_MANILA_PORTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "NOR",
        "North Metro Manila Hub",
        ("Caloocan", "Malabon", "Navotas", "Valenzuela", "Quezon City"),
    ),
    (
        "CEN",
        "Central Metro Manila Hub",
        ("Manila", "San Juan", "Mandaluyong", "Makati", "Pasig", "Marikina", "Pateros"),
    ),
    ("SOU", "South Metro Manila Hub", ("Taguig", "Pasay", "Parañaque", "Las Piñas", "Muntinlupa")),
)

REAL_MUNICIPALITIES: dict[str, tuple[str, ...]] = {
    METRO_MANILA: (
        "Caloocan",
        "Las Piñas",
        "Makati",
        "Malabon",
        "Mandaluyong",
        "Manila",
        "Marikina",
        "Muntinlupa",
        "Navotas",
        "Parañaque",
        "Pasay",
        "Pasig",
        "Pateros",
        "Quezon City",
        "San Juan",
        "Taguig",
        "Valenzuela",
    ),
    "Cebu": ("Cebu City", "Mandaue City", "Lapu-Lapu City", "Talisay City", "Consolacion"),
    "Bataan": ("Balanga City", "Mariveles", "Orion", "Dinalupihan"),
    "Negros Occidental": ("Bacolod City", "Silay City", "Talisay City", "Kabankalan City"),
    "Davao del Sur": ("Davao City", "Digos City", "Santa Cruz"),
}
REAL_BARANGAYS: dict[str, tuple[str, ...]] = {
    "Quezon City": ("Kamuning", "Diliman", "Cubao", "Batasan Hills", "Commonwealth"),
    "Taguig": ("Fort Bonifacio", "Western Bicutan", "Ususan", "Pinagsama", "Bagumbayan"),
    "Makati": ("Poblacion", "Bel-Air", "San Lorenzo", "Urdaneta"),
    "Manila": ("Ermita", "Malate", "Binondo", "Sampaloc"),
    "Cebu City": ("Lahug", "Guadalupe", "Mabolo", "Capitol Site"),
}
GENERATED_MUNICIPALITIES = (
    "San Jose",
    "San Isidro",
    "Santa Cruz",
    "San Miguel",
    "Santa Maria",
    "San Fernando",
    "Bagumbayan",
    "Victoria",
)
GENERATED_BARANGAYS = (
    "Poblacion",
    "San Roque",
    "San Antonio",
    "Santo Niño",
    "Bagong Silang",
    "Mabini",
    "Rizal",
)
